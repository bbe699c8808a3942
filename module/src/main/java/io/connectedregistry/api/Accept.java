package io.connectedregistry.api;

import java.util.List;

/** Content negotiation for manifests: does any {@code Accept} header allow this media type? */
final class Accept {
  private Accept() {}

  static boolean allows(List<String> headers, String mediaType) {
    if (headers == null || headers.isEmpty()) {
      return true;
    }
    String family = mediaType.substring(0, Math.max(0, mediaType.indexOf('/'))) + "/*";
    for (String header : headers) {
      for (String part : header.split(",")) {
        String type = part.split(";", 2)[0].trim();
        if (type.isEmpty() || type.equals("*/*") || type.equals(mediaType) || type.equals(family)) {
          return true;
        }
      }
    }
    return false;
  }
}
