"""Applications (办件): one-window intake, lifecycle, deadlines, progress and ratings."""
