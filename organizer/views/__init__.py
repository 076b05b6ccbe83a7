"""The organizer's desk: server-rendered pages at ``/organizer/`` for owners and managers.

One module per screen; ``base.py`` holds what every screen shares (who may see it, the page
context, the event an URL names).
"""
