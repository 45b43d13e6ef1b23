"""Server-rendered consoles (Jinja2, small JS, no build step).

``templates/base.html`` is the layout every console page extends; ``templates/
components.html`` holds the macros later consoles use (blurred media, keyboard legend).
Console routers are found like API routers (``childshield.api.registry``): modules in
``web.provider``, ``web.centre`` and ``web.common`` that define ``router``.
"""
