"""The web dashboard: HTML pages over the public API (and, for staff, the admin API).

It owns no data and calls no service: every page is built from the gateway's HTTP answers, with
the signed-in person's own token, so it sees exactly what the API lets that person see.
"""
