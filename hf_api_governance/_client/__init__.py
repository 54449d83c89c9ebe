"""Governed HTTP: the session, the governor, auth schemes, retries and response signals."""
