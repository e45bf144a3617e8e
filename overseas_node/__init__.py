"""The overseas branch node (Milan first): intake, identity and the link to the hub."""
