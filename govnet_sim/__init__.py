"""A stand-alone simulator of the provincial government service platform (政务网).

Its own process, port and database; it imports nothing from the hub or the node.
"""
