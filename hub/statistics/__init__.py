"""The office's statistics: computed from the records on every request, never stored."""
