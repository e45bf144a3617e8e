"""The domestic hub: the county's overseas service centre (aiohttp application)."""
