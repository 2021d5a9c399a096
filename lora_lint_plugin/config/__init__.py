"""Configuration shared by every front end: ``[tool.lora-lint]``, rule selection and ``# noqa``, rule settings."""
