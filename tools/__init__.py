"""Scripts that write the repository (the README's rules table, nnlint/torch_api.json); run
them from a checkout: `python tools/gen_rules_table.py`. Not part of the installed package."""
