"""``python -m lora_lint_plugin``: the ``lora-lint`` command."""

import sys

from .cli.main import main

if __name__ == "__main__":
    sys.exit(main())
