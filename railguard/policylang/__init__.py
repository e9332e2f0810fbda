"""The policy language: grammar, parser, AST, compiler, linter and formatter."""
