"""hw1: CIS680 Assignment 1 ("Deep Learning Basics"), computed, plotted and written up end to end."""

__version__ = "0.1.0"
