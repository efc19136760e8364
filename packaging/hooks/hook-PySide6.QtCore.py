# Replaces PyInstaller's hook for PySide6.QtCore (hooks in the spec's hookspath win): the same
# collection without Qt's own translations (7 MB). Rearguard is English and installs no QTranslator,
# so Qt's dialogs are English everywhere, packaged or not.
from PyInstaller.utils.hooks.qt import add_qt6_dependencies

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
datas = [(src, dest) for src, dest in datas if not src.endswith(".qm")]
