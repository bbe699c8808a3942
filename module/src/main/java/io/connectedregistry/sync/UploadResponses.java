package io.connectedregistry.sync;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClientResponse;

/** What the upload calls share: reading the {@code Location} and {@code Range} of a 202. */
final class UploadResponses {
  private UploadResponses() {}

  /**
   * The upload a 202 describes; the body is discarded. A new upload is empty whatever its
   * {@code Range} says: distribution answers {@code 0-0} both for no bytes and for one.
   */
  static Future<UploadLocation> location(
      ParentCaller caller, ParentRequest request, HttpClientResponse response, boolean fresh) {
    String location = response.getHeader("Location");
    long offset = fresh ? 0 : offset(response.getHeader("Range"));
    if (location == null) {
      return ParentCaller.discard(response).compose(v -> Future.failedFuture(new ParentStatusException(
          request.method().name(), request.loggable(), response.statusCode(), null, "no Location header")));
    }
    String url;
    try {
      url = caller.uploadLocation(location);
    } catch (RuntimeException e) {
      return ParentCaller.discard(response).compose(v -> Future.failedFuture(e));
    }
    return ParentCaller.discard(response).map(v -> new UploadLocation(url, offset));
  }

  /** {@code Range: 0-<last>} means last+1 bytes received; no header means none. */
  static long offset(String range) {
    if (range == null) {
      return 0;
    }
    int dash = range.indexOf('-');
    try {
      return dash < 0 ? 0 : Long.parseLong(range.substring(dash + 1).trim()) + 1;
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** {@code url} with one more query parameter. */
  static String withParameter(String url, String name, String value) {
    return url + (url.contains("?") ? "&" : "?") + name + "=" + value;
  }
}
