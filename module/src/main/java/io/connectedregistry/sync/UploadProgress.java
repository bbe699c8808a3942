package io.connectedregistry.sync;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import java.util.Optional;

/**
 * {@code GET <location>}: how many bytes an upload at the parent holds, to resume it after a
 * PATCH that broke off. Empty when the parent no longer has the upload (404).
 */
final class UploadProgress {
  private final ParentCaller caller;

  UploadProgress(ParentCaller caller) {
    this.caller = caller;
  }

  Future<Optional<UploadLocation>> get(String repository, UploadLocation upload) {
    ParentRequest request = ParentRequest.of(HttpMethod.GET, upload.url(), Scopes.push(repository));
    return caller.call(request, response -> {
      if (response.statusCode() == 404) {
        return ParentCaller.discard(response).map(v -> Optional.<UploadLocation>empty());
      }
      if (response.statusCode() != 204 && response.statusCode() != 200) {
        return ParentCaller.failure(request, response);
      }
      if (response.getHeader("Location") == null) {
        // Some registries answer the status without a Location: the upload stays where it was.
        long offset = UploadResponses.offset(response.getHeader("Range"));
        return ParentCaller.discard(response).map(v -> Optional.of(new UploadLocation(upload.url(), offset)));
      }
      return UploadResponses.location(caller, request, response, false).map(Optional::of);
    });
  }
}
