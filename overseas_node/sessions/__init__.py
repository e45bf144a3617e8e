"""Video sessions at the branch: the kiosk joins its node, the node carries it to the hub."""
