"""lora-lint's fixes as LibCST codemod commands, runnable with LibCST's own runner.

    python -m libcst.tool codemod --no-format \\
        -x lora_lint_plugin.codemods.base_to_instruct.BaseToInstructCommand PATH...

or, with ``modules: [lora_lint_plugin.codemods]`` in ``.libcst.codemod.yaml``::

    python -m libcst.tool codemod --no-format base_to_instruct.BaseToInstructCommand PATH...

Commands (one per module, each a ``libcst.codemod.CodemodCommand``):

* ``base_to_instruct.BaseToInstructCommand`` - base checkpoint ids -> their Instruct sibling
  (the fixes of LOR301/LOR302, and LOR903 when selected).
* ``fix_all.FixAllCommand`` - every safe lora-lint fix; ``--unsafe-fixes`` adds the unsafe ones.

Both analyse the module with the lora-lint engine and apply fixes through
``lora_lint_plugin.fixing.fixes.fix_source``, so only the rewritten literals change (no reformatting;
pass ``--no-format`` so LibCST does not run black over the file either). Submodules are not
imported here: ``libcst.tool list`` and ``-x`` import the module they need.
"""
