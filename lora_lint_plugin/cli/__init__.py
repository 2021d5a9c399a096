"""The ``lora-lint`` command: subcommands and file discovery."""
