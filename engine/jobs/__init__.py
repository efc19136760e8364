"""The job kinds: ``mirror``, ``rclone``, ``revit``. Each is a package with the same four functions
(see ``engine.core.kinds``) and its own ``restore`` module; kinds never import each other."""
