"""Tell the access log which login session each request comes from (``audit.context``): the
selectors that log a read see the reader, not the request. Sync and async capable, like the
other middlewares, so it costs no thread hop under ASGI."""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from audit.context import reading_session


class ReadingSessionMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        # Asked once: ``iscoroutinefunction`` at every request cost more than some middlewares.
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.async_mode:
            return self._acall(request)
        with reading_session(getattr(request, "session", None)):
            return self.get_response(request)

    async def _acall(self, request):
        with reading_session(getattr(request, "session", None)):
            return await self.get_response(request)
