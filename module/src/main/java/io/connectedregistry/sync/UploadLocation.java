package io.connectedregistry.sync;

/**
 * An upload in progress at the parent: where to send the next chunk (an absolute URL on the
 * parent, which may carry state in its query) and how many bytes it has.
 */
public record UploadLocation(String url, long offset) {

  @Override
  public String toString() {
    return ParentRequest.withoutQuery(url) + " at " + offset; // the query may hold upload state
  }
}
