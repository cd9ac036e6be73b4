"""Sealed model fields: which exist, how to seal/open one, and re-sealing after rotation.

A sealed field is a BinaryField holding a `backend.crypto.sealed` envelope
bound to (model label, field name, primary key). Apps register theirs in
AppConfig.ready() so `manage.py reseal` finds every one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction

from backend.crypto.sealed import KeyRing, SealContext

_REGISTRY: list[tuple[str, str]] = []


def register_sealed_field(model_label: str, field_name: str) -> None:
    if (model_label, field_name) not in _REGISTRY:
        _REGISTRY.append((model_label, field_name))


def sealed_fields() -> list[tuple[type[models.Model], str]]:
    return [(apps.get_model(label), field) for label, field in _REGISTRY]


def _context(model: type[models.Model], field_name: str, pk: object) -> SealContext:
    return SealContext(model=model._meta.label_lower, field=field_name, row_id=str(pk))


def seal_value(instance: models.Model, field_name: str, plaintext: bytes, *, ring: KeyRing | None = None) -> bytes:
    """Seal `plaintext` for `instance.<field_name>`; the instance must already have its pk."""
    if instance.pk is None:
        raise ValueError("Sealed fields need the row's primary key first.")
    ring = ring or KeyRing.from_settings()
    return ring.seal(plaintext, _context(type(instance), field_name, instance.pk))


def open_value(instance: models.Model, field_name: str, *, ring: KeyRing | None = None) -> bytes | None:
    """Open `instance.<field_name>`, or None if it is empty."""
    envelope = getattr(instance, field_name)
    if envelope is None:
        return None
    ring = ring or KeyRing.from_settings()
    return ring.open(bytes(envelope), _context(type(instance), field_name, instance.pk))


@dataclass
class ResealResult:
    model_label: str
    field: str
    examined: int = 0
    resealed: int = 0


def reseal_all(*, batch_size: int = 500, ring: KeyRing | None = None) -> list[ResealResult]:
    """Re-seal every registered field still under an older key with the ring's first key.

    Each batch is locked and rewritten in its own transaction, so the command
    can be interrupted and run again; rows already under the first key are
    left alone. A row that fails to open stops the run (its key was removed
    from the ring too early), and nothing of that batch is written.
    """
    ring = ring or KeyRing.from_settings()
    results = []
    for model, field_name in sealed_fields():
        result = ResealResult(model._meta.label, field_name)
        last_pk = None
        while True:
            with transaction.atomic():
                rows = model.objects.filter(**{f"{field_name}__isnull": False}).order_by("pk")
                if last_pk is not None:
                    rows = rows.filter(pk__gt=last_pk)
                batch = list(rows.select_for_update().only("pk", field_name)[:batch_size])
                if not batch:
                    break
                for row in batch:
                    result.examined += 1
                    envelope = bytes(getattr(row, field_name))
                    if not ring.needs_reseal(envelope):
                        continue
                    context = _context(model, field_name, row.pk)
                    resealed = ring.seal(ring.open(envelope, context), context)
                    model.objects.filter(pk=row.pk).update(**{field_name: resealed})
                    result.resealed += 1
                last_pk = batch[-1].pk
        results.append(result)
    return results
