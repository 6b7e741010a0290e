"""Outgoing HTTP to URLs users give: a guarded GET (every address checked, redirects
checked again, size and time limits) and its pure rules."""
