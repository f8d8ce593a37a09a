"""Safety production standardization (安全生产标准化): grades and their certificates."""
