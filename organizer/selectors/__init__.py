"""Reads for the organizer's desk, one module per screen (``cards``: the home page's and an
event's overview). Each returns what its screen shows in a fixed number of queries."""
