"""Governed HTTP: the session, the governor, auth schemes, retries and response signals.

The modules, each one concept, in import order:

- ``ports``: what the client needs from the registry, engine and keystore;
- ``parse``: parsers of HTTP dates, ``Deprecation``, ``Link``, challenges and bodies;
- ``evidence``: secret-free, bounded evidence of requests and responses;
- ``origins``: origins and the headers that carry credentials;
- ``custody``: :func:`~hf_api_governance.check_custody` (clause 1.1.3);
- ``signals``: the signal table and the pure ``classify(response, facts)``;
- ``retry``: bounded retries of transient faults;
- ``options``: ``SessionOptions`` and the typed ``SessionKwargs``;
- ``auth``: the auth schemes;
- ``governor``: admission, sending, and the application of signals;
- ``session``: :class:`~hf_api_governance.GovernedSession` and
  :func:`~hf_api_governance.govern`.
"""
