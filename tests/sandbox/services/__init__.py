"""Service modules. Each module here that defines SERVICE (a core.service.Service
subclass) is loaded at startup and receives the requests signed for SERVICE.name."""

import importlib
import pkgutil


def discover():
    classes = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith('_'):
            continue
        module = importlib.import_module('%s.%s' % (__name__, info.name))
        cls = getattr(module, 'SERVICE', None)
        if cls is not None:
            classes.append(cls)
    return classes
