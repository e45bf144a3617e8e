"""The clerk's view of the branch's catalogue copy: search, categories, each item's guide."""
