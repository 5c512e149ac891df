#!/usr/bin/env python
"""Compute every part of CIS680 Assignment 1 and write report/hw1.pdf. See --help and README.md."""

import sys

from hw1.cli import main

if __name__ == "__main__":
    sys.exit(main())
