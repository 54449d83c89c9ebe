"""The `Governance` facade: registry, keystore, policy engine, audit log and client, wired.

Provisioning scripts want one object. :class:`Governance` opens one
database (a SQLite file, or PostgreSQL for many hosts) for the registry and
the audit log, optionally a keystore, and
offers the common operations with the actor recorded on every change
(clause 1.5). Every part stays usable alone; this module holds no governance
logic of its own.

Why one module of about 800 lines: one class whose methods are each a few
lines delegating to a part (registry, keystore, engine, audit log), most of
the text being their documentation; splitting it would split one object.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from hf_api_governance._audit.entries import Checkpoint, VerificationReport
from hf_api_governance._audit.log import AuditLog
from hf_api_governance._audit.signing import SignedCheckpoint
from hf_api_governance._base.checks import check_path
from hf_api_governance._base.clock import Clock, SystemClock, ensure_aware
from hf_api_governance._base.encoding import decode_key_text
from hf_api_governance._confidential.secret import Classification, Secret
from hf_api_governance._defaults import (
    AUDIT_KEY_ENV,
    DEFAULT_REGISTRY,
    PASSPHRASE_ENV,
    RESERVED_ENTRY_PREFIX,
    default_actor,
    passphrase_from_env,
)
from hf_api_governance._model.rules import check_entry_name
from hf_api_governance._model.values import (
    Integration,
    IntegrationState,
    Licence,
    Revoker,
    SuspensionCause,
)
from hf_api_governance._policy import (
    Action,
    Decision,
    PolicyEngine,
    PolicyHook,
    PolicySettings,
)
from hf_api_governance._policy.report import Report, evaluate, evaluate_inventory
from hf_api_governance._registry.registry import Registry, SyncReport
from hf_api_governance._storage.store import is_database_url
from hf_api_governance.exceptions import (
    AccessDenied,
    GovernanceError,
    KeystoreError,
    StoreError,
    ValidationError,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from typing import Unpack

    from hf_api_governance._client.options import TuningKwargs
    from hf_api_governance._client.session import GovernedSession
    from hf_api_governance._confidential.keystore import Keystore

from hf_api_governance._base.closing import Closing

__all__ = ["AUDIT_KEY_ENTRY", "Governance", "Report"]

AUDIT_KEY_ENTRY = f"{RESERVED_ENTRY_PREFIX}audit-key"
"""Keystore entry holding the audit log's HMAC key (created by :meth:`Governance.open`)."""


class Governance(Closing):
    """One entry point: registry, keystore, policy engine and audit log on one database.

    Use :meth:`open`; close it (or use ``with``) when done.

    Args:
        registry: The registry (state of record).
        engine: The policy engine.
        keystore: The keystore, if any: without one, checks that need
            credentials only see entry *names*, and nothing can be revealed.
        audit: The audit log sharing the registry's database, if a key is
            available.
        actor: Who acts through this object (clause 1.5).
        clock: The clock every part uses.
    """

    def __init__(
        self,
        registry: Registry,
        engine: PolicyEngine,
        *,
        keystore: Keystore | None = None,
        audit: AuditLog | None = None,
        actor: str,
        clock: Clock,
    ) -> None:
        self.registry = registry
        self.engine = engine
        self.keystore = keystore
        self.audit = audit
        self.actor = actor
        self.clock = clock

    # -- opening ----------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] = DEFAULT_REGISTRY,
        *,
        keystore: str | os.PathLike[str] | Keystore | None = None,
        passphrase: str | Secret | None = None,
        actor: str | None = None,
        clock: Clock | None = None,
        hooks: Iterable[Any] = (),
        settings: PolicySettings | None = None,
        audit_key: bytes | Secret | None = None,
    ) -> Governance:
        """Open (creating if needed) the database at ``path`` and wire the parts.

        ``path`` is a SQLite file, or a ``postgresql://`` URL for a registry
        shared by many hosts (the ``postgresql`` extra; see
        docs/operations.md). The URL's credentials never appear in a message.

        The audit log's HMAC key comes from ``audit_key``, else the keystore
        entry :data:`AUDIT_KEY_ENTRY` (created on first use), else the
        ``HF_GOV_AUDIT_KEY`` environment variable (hex or base64, 32 bytes or
        more). With none of them, changes are still recorded in the registry
        history but not in the tamper-evident audit log; and a registry that
        was ever audited refuses them (:class:`AuditError`, see
        :meth:`Registry.attach_audit`).

        Args:
            path: The SQLite database (``":memory:"`` for tests), or a
                PostgreSQL database's ``postgresql://`` URL.
            keystore: A keystore path (opened with ``passphrase``) or object.
            passphrase: The keystore passphrase.
            actor: Who acts (default: the operating-system user).
            clock: Defaults to the system clock.
            hooks: User policy hooks.
            settings: Policy thresholds.
            audit_key: Explicit audit key.

        Returns:
            The facade; close it when done.

        Raises:
            KeystoreError: The keystore cannot be opened (or its directory
                cannot be created).
            StoreError: The database cannot be used (or its directory cannot
                be created).
            PolicyError: ``hooks`` is not an iterable of policy hooks.
            ValidationError: ``path`` or ``keystore`` is not a path, or
                another argument is invalid.

        Nothing stays open when opening fails: a keystore this call opened and
        the database are closed again (a :class:`Keystore` object you passed
        in is left open: it is yours).
        """
        clock = clock or SystemClock()
        location = check_path("path", path)
        given = _is_keystore_object(keystore)  # the caller's: never closed here
        if not (keystore is None or given or isinstance(keystore, str | os.PathLike)):
            raise ValidationError(
                "keystore", f"must be a keystore path or a Keystore, got {type(keystore).__name__}"
            )
        if location != ":memory:" and not is_database_url(location):
            _make_parent(Path(location), StoreError, "the registry database")
        ks = cls._open_keystore(keystore, passphrase)
        registry: Registry | None = None
        try:
            key = audit_key if audit_key is not None else cls._audit_key(ks)
            registry = Registry.open(location, clock=clock)
            audit = registry.attach_audit(key) if key is not None else None
            engine = PolicyEngine(
                hooks=hooks,
                clock=clock,
                settings=settings if settings is not None else PolicySettings(),
                keystore=ks,
                revoked_credentials=_RevokedView(registry),
            )
        except BaseException:
            try:
                if registry is not None:
                    registry.close()
            finally:
                if ks is not None and not given:
                    ks.close()
            raise
        return cls(
            registry, engine, keystore=ks, audit=audit, actor=actor or default_actor(), clock=clock
        )

    @staticmethod
    def _open_keystore(
        keystore: str | os.PathLike[str] | Keystore | None, passphrase: str | Secret | None
    ) -> Keystore | None:
        if keystore is None:
            return None
        from hf_api_governance._confidential.keystore import Keystore

        if isinstance(keystore, Keystore):
            return keystore
        where = Path(check_path("keystore", keystore))
        if passphrase is None:
            passphrase = passphrase_from_env()
            if passphrase is None:
                raise KeystoreError(
                    f"a passphrase is needed to open the keystore ({PASSPHRASE_ENV})"
                )
        if not where.exists():
            _make_parent(where, KeystoreError, "the keystore")
            return Keystore.create(where, passphrase)
        return Keystore.open(where, passphrase)

    @staticmethod
    def _audit_key(keystore: Keystore | None) -> Secret | None:
        if keystore is not None:
            if AUDIT_KEY_ENTRY not in keystore:
                keystore.put(
                    AUDIT_KEY_ENTRY,
                    Secret(os.urandom(32), Classification.CUSTOMER_DATA, "audit log HMAC key"),
                    overwrite=False,
                )
            return keystore.get(AUDIT_KEY_ENTRY)
        raw = os.environ.get(AUDIT_KEY_ENV)
        if not raw:
            return None
        key = decode_key_text(raw.strip()) or b""
        if len(key) < 32:
            raise ValidationError(AUDIT_KEY_ENV, "must be at least 32 bytes in hex or base64")
        return Secret(key, Classification.CUSTOMER_DATA, "audit log HMAC key")

    # -- decisions ----------------------------------------------------------------

    def check(
        self, integration_id: str, action: Action = Action.CALL, *, at: datetime | None = None
    ) -> Decision:
        """Evaluate ``action`` on an integration now (or at ``at``).

        Raises:
            IntegrationNotFound: No such integration.
        """
        return self.engine.evaluate(self.registry.get(integration_id), action, at=at)

    def require(
        self, integration_id: str, action: Action = Action.CALL, *, at: datetime | None = None
    ) -> Decision:
        """Like :meth:`check`, but raise when denied.

        Raises:
            AccessDenied: The decision denies; ``.decision`` says why.
        """
        decision = self.check(integration_id, action, at=at)
        if not decision.allowed:
            self._audit_decision(decision)
            raise AccessDenied(decision)
        return decision

    def report(
        self,
        at: datetime | None = None,
        action: Action = Action.CALL,
        *,
        progress: Callable[[int, int], object] | None = None,
    ) -> Report:
        """Evaluate every integration at ``at`` (default: now).

        Args:
            at: The instant (aware; default: the clock, read once).
            action: The action asked about.
            progress: Called as ``progress(done, total)`` after each block of
                integrations evaluated, for a progress display (default: none).

        Returns:
            The decisions, in integration id order.

        Raises:
            ValidationError: ``at`` is naive.
        """
        when = ensure_aware(at, "at") if at is not None else self.clock.now()
        return evaluate(self.engine, self.registry.integrations(), action, when, progress)

    @staticmethod
    def report_inventory(
        inventory: Iterable[Integration],
        at: datetime | None = None,
        action: Action = Action.CALL,
        *,
        hooks: Iterable[PolicyHook] = (),
        settings: PolicySettings | None = None,
        clock: Clock | None = None,
        actor: str | None = None,
        progress: Callable[[int, int], object] | None = None,
    ) -> Report:
        """Evaluate an inventory as if every declared integration were enabled; no database.

        Each declaration gets the state and history that registering and then
        activating it in an empty registry would give it (ACTIVE after
        REGISTERED and ACTIVATED, now, by ``actor``), built directly: no
        database, no keystore, no audit log. ``hf-gov check INVENTORY.toml``
        prints this report.

        Args:
            inventory: The declared integrations (see :func:`load_inventory`).
            at: The instant to evaluate at (aware; default: the clock, read once).
            action: The action asked about.
            hooks: User policy hooks.
            settings: Policy thresholds.
            clock: Defaults to the system clock.
            actor: Who the built history names (default: the operating-system user).
            progress: As for :meth:`report`.

        Returns:
            The decisions, in integration id order.

        Raises:
            PolicyError: ``hooks`` is not an iterable of policy hooks.
            ValidationError: ``inventory`` holds something that is not an
                :class:`Integration`, ``at`` is naive, or another argument is
                invalid.
        """
        return evaluate_inventory(
            inventory,
            at,
            action,
            hooks=hooks,
            settings=settings,
            clock=clock or SystemClock(),
            actor=actor or default_actor(),
            progress=progress,
        )

    def reveal(self, integration_id: str, entry: str | None = None) -> Secret:
        """Return an integration's credential after a REVEAL_CREDENTIAL decision, audited.

        Raises:
            AccessDenied: Revealing is denied.
            KeystoreError: No keystore, or no such entry.
        """
        decision = self.require(integration_id, Action.REVEAL_CREDENTIAL)
        if self.keystore is None:
            raise KeystoreError("no keystore is open: nothing can be revealed")
        integration = self.registry.get(integration_id)
        names = integration.credential_entries
        name = entry or (names[0] if names else None)
        if name is None or name not in names:
            raise ValidationError("entry", "is not a credential entry of this integration")
        secret = self.keystore.get(name)
        if self.audit is not None:
            self.audit.append(
                actor=self.actor,
                action="credential_revealed",
                integration_id=integration_id,
                clause="1.1.1",
                codes=[f.code for f in decision.findings],
                evidence={"entry": name, "fingerprint": secret.fingerprint},
            )
        return secret

    def _audit_decision(self, decision: Decision) -> None:
        if self.audit is None:
            return
        self.audit.append(
            actor=self.actor,
            action="call_denied" if decision.action is Action.CALL else "action_denied",
            integration_id=decision.integration_id,
            codes=[f.code for f in decision.denials],
            evidence={"action": decision.action.value},
        )

    # -- changes ------------------------------------------------------------------

    def sync(self, inventory: Iterable[Integration], *, dry_run: bool = False) -> SyncReport:
        """Apply an inventory (see :meth:`Registry.sync`); ``dry_run`` writes nothing."""
        return self.registry.sync(inventory, actor=self.actor, dry_run=dry_run)

    def verify_info(self, integration_id: str) -> Integration:
        """Record that the enablement information is confirmed correct and current (clause 1.1).

        Raises:
            IntegrationNotFound: No such integration.
            IllegalTransition: It is retired.
        """
        return self.registry.verify_info(integration_id, actor=self.actor)

    def revoke(
        self,
        integration_id: str,
        *,
        by: Revoker = Revoker.CUSTOMER,
        reason: str,
        evidence: Mapping[str, Any] | None = None,
    ) -> Integration:
        """Record a revocation (clause 1.1.1) by ``by``, acted by this facade's actor."""
        return self.registry.revoke(
            integration_id, by=by, reason=reason, evidence=evidence, actor=self.actor
        )

    def suspend(
        self,
        integration_id: str,
        *,
        cause: SuspensionCause = SuspensionCause.MANUAL,
        reason: str,
        evidence: Mapping[str, Any] | None = None,
    ) -> Integration:
        """Suspend interoperability (clause 1.1.2)."""
        return self.registry.suspend(
            integration_id, cause=cause, reason=reason, evidence=evidence, actor=self.actor
        )

    def reinstate(self, integration_id: str, *, reason: str) -> Integration:
        """Lift a suspension."""
        return self.registry.reinstate(integration_id, reason=reason, actor=self.actor)

    def provision(self, integration_id: str, *, reason: str = "provisioned") -> Decision:
        """Ask for a PROVISION decision and, when it allows, activate the integration.

        PENDING becomes ACTIVE in one transaction, with its event and audit
        entry. A refusal changes nothing but is audited (``action_denied``).
        The decision is taken on the integration as read just before; the
        activation is still refused unless it is PENDING when it is written.

        Returns:
            The PROVISION decision (allowed; its warnings still deserve attention).

        Raises:
            AccessDenied: The decision denies; ``.decision`` says why.
            IntegrationNotFound: No such integration.
            IllegalTransition: It is not PENDING (already active, revoked...).
        """
        decision = self.require(integration_id, Action.PROVISION)
        self.registry.activate(integration_id, actor=self.actor, reason=reason)
        return decision

    def retire(self, integration_id: str, *, reason: str = "") -> Integration:
        """Retire an integration for good (final state; see :meth:`Registry.retire`)."""
        return self.registry.retire(integration_id, actor=self.actor, reason=reason)

    def replace_credential(
        self,
        integration_id: str,
        credential: str | None = None,
        *,
        auth_entries: Mapping[str, str] | None = None,
        reason: str = "",
    ) -> Integration:
        """Point an integration at new keystore entries: the way out of REVOKED (clause 1.1.1).

        The new entries must already be in the keystore (store the new
        credential first) and must not be revoked; see
        :meth:`Registry.replace_credential`.

        Args:
            integration_id: The integration.
            credential: The new ``credential`` entry name, if it changes.
            auth_entries: New entry names by auth parameter, if they change.
            reason: Why, in words.

        Raises:
            KeystoreError: No keystore is open.
            ValidationError: A new entry is not in the keystore, or as
                :meth:`Registry.replace_credential`.
        """
        if self.keystore is None:
            raise KeystoreError("no keystore is open: the new entries cannot be checked")
        wanted = [("credential", credential)] if credential is not None else []
        wanted += [(f"auth.{k}", v) for k, v in (auth_entries or {}).items()]
        for field, name in wanted:
            if not isinstance(name, str):  # callers without type checking
                continue  # type: ignore[unreachable]  # the registry names the field
            if self.registry.is_credential_revoked(name):
                raise ValidationError(
                    field,
                    f"keystore entry {name!r} holds a revoked credential (clause 1.1.1); "
                    "store a new credential under a new entry name",
                )
            if name not in self.keystore:
                raise ValidationError(
                    field, f"no keystore entry {name!r}: store the new credential first"
                )
        return self.registry.replace_credential(
            integration_id,
            credential,
            auth_entries=auth_entries,
            actor=self.actor,
            reason=reason,
        )

    def add_licence(
        self, integration_id: str, licence: Licence, *, reason: str = ""
    ) -> Integration:
        """Record a licence (a renewal, a new grant) on an integration (clause 1.1.2)."""
        return self.registry.add_licence(integration_id, licence, actor=self.actor, reason=reason)

    def remove_licence(
        self, integration_id: str, licence: Licence, *, reason: str = ""
    ) -> Integration:
        """Remove one licence equal to ``licence`` from an integration (clause 1.1.2)."""
        return self.registry.remove_licence(
            integration_id, licence, actor=self.actor, reason=reason
        )

    # -- keystore entries, audited -------------------------------------------------

    def store_key(self, name: str, secret: Secret, *, replace: bool = False) -> str:
        """Store a credential in the keystore, audited (``key_stored`` or ``key_replaced``).

        The audit entry holds the entry name, the value's fingerprint and the
        actor, never the value. It is written after the keystore (the two are
        separate files): if it cannot be written, the error says so.

        Args:
            name: The entry name. Names starting with ``hf-gov.`` are the
                library's own (the audit key) and are refused.
            secret: The value.
            replace: Overwrite an existing entry (otherwise refused).

        Returns:
            The stored value's fingerprint.

        Raises:
            KeystoreError: No keystore is open, or the entry exists and
                ``replace`` is false.
            ValidationError: The name is reserved, not an entry name, looks
                like a secret, or was revoked (clause 1.1.1: a revoked name is
                never used again).
        """
        ks = self._writable_keystore(name)
        existed = name in ks
        if existed and not replace:
            raise KeystoreError(f"keystore entry {name!r} already exists; replace it explicitly")
        ks.put(name, secret, overwrite=replace)
        fingerprint = ks.fingerprint(name)
        self._audit_key_change(
            "key_replaced" if existed else "key_stored",
            {"entry": name, "fingerprint": fingerprint, "classification": secret.classification},
        )
        return fingerprint

    def delete_key(self, name: str, *, force: bool = False) -> str:
        """Delete a keystore entry, audited (``key_deleted``).

        Args:
            name: The entry; reserved (``hf-gov.``) names are refused.
            force: Delete it even while a live integration (not retired)
                names it and it is not revoked: those integrations are then
                denied (CREDENTIAL_MISSING) until the entry is stored again.

        Returns:
            The deleted value's fingerprint.

        Raises:
            KeystoreError: No keystore is open.
            KeystoreEntryNotFound: No such entry.
            ValidationError: The name is reserved, or in use and ``force`` is false.
        """
        ks = self._keystore_or_fail()
        check_entry_name("name", name)
        _refuse_reserved("name", name)
        if not force and not self.registry.is_credential_revoked(name):
            self._refuse_in_use(name, "delete")
        fingerprint = ks.fingerprint(name)
        ks.delete(name)
        self._audit_key_change("key_deleted", {"entry": name, "fingerprint": fingerprint})
        return fingerprint

    def rename_key(self, old: str, new: str, *, force: bool = False) -> str:
        """Rename a keystore entry, audited (``key_renamed``); the value is unchanged.

        Args:
            old: The entry to rename.
            new: Its new name: not reserved, not revoked, not taken.
            force: Rename it even while a live integration names ``old``
                (point the integration at ``new`` afterwards).

        Returns:
            The value's fingerprint.

        Raises:
            KeystoreError: No keystore is open, or ``new`` exists.
            KeystoreEntryNotFound: No entry ``old``.
            ValidationError: A name is reserved or invalid, ``new`` was
                revoked, or ``old`` is in use and ``force`` is false.
        """
        check_entry_name("old", old)
        _refuse_reserved("old", old)
        ks = self._writable_keystore(new, field="new")
        if not force and not self.registry.is_credential_revoked(old):
            self._refuse_in_use(old, "rename")
        ks.rename(old, new)
        fingerprint = ks.fingerprint(new)
        self._audit_key_change(
            "key_renamed", {"entry": new, "previous_entry": old, "fingerprint": fingerprint}
        )
        return fingerprint

    def _keystore_or_fail(self) -> Keystore:
        if self.keystore is None:
            raise KeystoreError("no keystore is open")
        return self.keystore

    def check_key_name(self, name: str, *, field: str = "name") -> None:
        """Check that a credential may be stored under ``name`` (what :meth:`store_key` checks).

        Raises:
            ValidationError: Naming ``field``: not an entry name, looks like a
                secret, reserved (``hf-gov.``), or revoked (clause 1.1.1).
        """
        check_entry_name(field, name)
        _refuse_reserved(field, name)
        if self.registry.is_credential_revoked(name):
            raise ValidationError(
                field,
                f"keystore entry {name!r} held a revoked credential (clause 1.1.1): store the "
                "new credential under a new name",
            )

    def _writable_keystore(self, name: str, field: str = "name") -> Keystore:
        """The keystore, once ``name`` is known to be a name a credential may be stored under."""
        ks = self._keystore_or_fail()
        self.check_key_name(name, field=field)
        return ks

    def _refuse_in_use(self, name: str, verb: str) -> None:
        users = [
            i.id
            for i in self.registry.integrations(with_history=False)
            if i.state is not IntegrationState.RETIRED and name in i.credential_entries
        ]
        if users:
            raise ValidationError(
                "name",
                f"keystore entry {name!r} is used by {', '.join(users)}: refusing to {verb} it "
                "(force it, or replace the integration's credential first)",
            )

    def _audit_key_change(self, action: str, evidence: Mapping[str, Any]) -> None:
        if self.audit is not None:
            self.audit.append(actor=self.actor, action=action, clause="1.1.1", evidence=evidence)

    def session(
        self,
        integration_id: str,
        *,
        audit: Literal["batched", "strict"] = "batched",
        **kwargs: Unpack[TuningKwargs],
    ) -> GovernedSession:
        """A :class:`GovernedSession` for the integration, wired to this facade's parts.

        The registry, keystore, engine, audit log (as the recorder), actor and
        clock are the facade's; passing one of them is a :class:`TypeError`.

        With the audit log on, each call's record (``call_sent``,
        ``call_failed``) is by default *batched*: kept in memory and written
        with others in one transaction (:meth:`AuditLog.defer`), on the
        session's :meth:`~GovernedSession.close`, at most a second after it
        was made, once 500 wait, before any other entry of the log, and at
        interpreter exit. A denial (``call_denied``), a revocation and a
        suspension are written durably, after the records before them,
        before the exception reaches you. A crash loses at most the batch
        waiting (docs/audit.md, "Batched call records"). ``audit="strict"``
        writes every record durably before the call returns, as each
        :meth:`AuditLog.append` does.

        Args:
            integration_id: The integration the session calls.
            audit: ``"batched"`` (default) or ``"strict"``.
            **kwargs: ``retry``, ``contract``, ``contract_failures``,
                ``timeout``, ``profile``, as for :class:`GovernedSession`.

        Returns:
            The session (close it, or use it in a ``with`` block).

        Raises:
            IntegrationNotFound: No integration ``integration_id``.
            ValidationError: An argument is not acceptable (the field is named).
        """
        from hf_api_governance._client.session import GovernedSession

        if audit not in ("batched", "strict"):
            raise ValidationError("audit", "must be 'batched' or 'strict'")
        recorder = (
            _AuditRecorder(self.audit, self.actor, integration_id, strict=audit == "strict")
            if self.audit is not None
            else None
        )
        return GovernedSession(
            self.registry,
            integration_id,
            keystore=self.keystore,
            engine=self.engine,
            recorder=recorder,
            actor=self.actor,
            clock=self.clock,
            **kwargs,
        )

    # -- audit ----------------------------------------------------------------------

    def verify_audit(
        self,
        checkpoint: Checkpoint | SignedCheckpoint | None = None,
        *,
        public_key: bytes | str | None = None,
    ) -> VerificationReport:
        """Verify the audit log and cross-check it with the registry (``hf-gov audit verify``).

        See :meth:`Registry.verify_audit`: with the audit key (this facade
        has one when :attr:`audit` is set) everything is authenticated;
        without it, give a :class:`SignedCheckpoint` and the log's PEM
        ``public_key``, and no secret is needed.

        Raises:
            AuditError: No audit key and no signed checkpoint with its public
                key; or the database cannot be read.
            ValidationError: ``checkpoint`` or ``public_key`` is invalid.
        """
        return self.registry.verify_audit(checkpoint, public_key=public_key)

    def adopt_audit(self, *, reason: str) -> int:
        """Record, once, the registry events the audit log does not cover (``hf-gov audit adopt``).

        See :meth:`Registry.adopt_audit`; the actor is this facade's.

        Returns:
            The number of events adopted.

        Raises:
            AuditError: No audit key, or adoption is refused (the message
                says why); nothing was written.
        """
        return self.registry.adopt_audit(actor=self.actor, reason=reason)

    # -- lifetime -----------------------------------------------------------------

    def close(self) -> None:
        """Close the database and the keystore."""
        try:
            self.registry.close()
        finally:
            if self.keystore is not None:
                self.keystore.close()

    def __repr__(self) -> str:
        parts = f"keystore={self.keystore is not None}, audit={self.audit is not None}"
        return f"Governance(actor={self.actor!r}, {parts})"


_DURABLE_ACTIONS = frozenset({"call_denied"})
"""Call records a batched session still writes durably before the call returns (denials)."""


class _AuditRecorder:
    """A session's recorder: call records into the audit log, batched unless strict.

    ``flush`` is the session's close hook (:meth:`GovernedSession.close`).
    """

    __slots__ = ("_actor", "_audit", "_integration_id", "_strict")

    def __init__(self, audit: AuditLog, actor: str, integration_id: str, *, strict: bool) -> None:
        self._audit = audit
        self._actor = actor
        self._integration_id = integration_id
        self._strict = strict

    def __call__(self, action: str, evidence: Mapping[str, Any]) -> None:
        if self._strict or action in _DURABLE_ACTIONS:
            # The deferred records go first, in the same transaction.
            self._audit.append(
                actor=self._actor,
                action=action,
                integration_id=self._integration_id,
                evidence=evidence,
            )
        else:
            self._audit.defer(
                actor=self._actor,
                action=action,
                integration_id=self._integration_id,
                evidence=evidence,
            )

    def flush(self) -> None:
        """Write the deferred records now."""
        self._audit.flush()


def _refuse_reserved(field: str, name: str) -> None:
    if name.startswith(RESERVED_ENTRY_PREFIX):
        raise ValidationError(
            field,
            f"names starting with {RESERVED_ENTRY_PREFIX!r} are reserved for the library's own "
            "keys (the audit key)",
        )


def _is_keystore_object(value: object) -> bool:
    if value is None or isinstance(value, str | os.PathLike):
        return False
    from hf_api_governance._confidential.keystore import Keystore

    return isinstance(value, Keystore)


def _make_parent(path: Path, error: type[GovernanceError], what: str) -> None:
    """Create ``path``'s directory; an OSError becomes ``error`` (StoreError, KeystoreError)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise error(
            f"cannot create the directory {str(path.parent)!r} for {what}: {reason}"
        ) from None


class _RevokedView:
    """A live ``in`` test against the registry's revoked credential names."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._registry.is_credential_revoked(name)
