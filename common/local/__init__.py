"""The laptop stand-ins that the runtime seam (common.runtime) selects when no workspace is there:
the Spark session builders, the local feature store and the local `dbutils`. Only the seam imports
them (an import-linter contract in pyproject.toml holds it to that); none of it is deployed."""
