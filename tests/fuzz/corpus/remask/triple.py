import os
password = """
hunter2-and-more
"""
token = "ghp_q8ZrT2vLw9XyB4nM6pK1q8ZrT2vLw9XyB4nM"
x = 1
