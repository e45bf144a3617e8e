"""What branch nodes send the hub: sealed intake messages, received exactly once."""
