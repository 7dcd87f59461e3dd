"""Shared core of the sandbox: errors, identities, signature checks, faults, request log,
the service base class and the lazily loaded botocore models."""
