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
    String last = dash < 0 ? "" : range.substring(dash + 1).trim();
    // Digits only: Long.parseLong takes a sign, and a parent's "0--5" is no byte count.
    if (last.isEmpty() || !last.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return 0;
    }
    try {
      long value = Long.parseLong(last);
      return value == Long.MAX_VALUE ? 0 : value + 1;
    } catch (NumberFormatException tooLong) {
      return 0;
    }
  }

  /** {@code url} with one more query parameter. */
  static String withParameter(String url, String name, String value) {
    return url + (url.contains("?") ? "&" : "?") + name + "=" + value;
  }
}
