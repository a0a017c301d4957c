"""Qt widgets, item models and dialogs. The only package, with app.py, that imports Qt."""
