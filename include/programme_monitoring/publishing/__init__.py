"""What goes out: the headline figures (``headline``) and the yearly report to the Council of
Heads of State (``council``), read from the marts only. May import ``warehouse``.
"""
