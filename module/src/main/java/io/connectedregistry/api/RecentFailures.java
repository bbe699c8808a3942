package io.connectedregistry.api;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The last few unexpected failures (answered 500 by {@link FailureHandler}), for the status page:
 * when, which request, the exception's type and the correlation id that finds the whole story in
 * the log. Never the exception's message: it may quote a path, a query or a value from outside;
 * the log has it. A small ring, shared by every event loop of one server.
 */
final class RecentFailures {
  static final int CAPACITY = 10;

  /** @param request method and path (no query: it may carry values callers consider private) */
  record Failure(Instant at, String correlationId, String request, String type) {}

  private final ArrayDeque<Failure> ring = new ArrayDeque<>(CAPACITY);

  synchronized void add(Failure failure) {
    if (ring.size() == CAPACITY) {
      ring.removeFirst();
    }
    ring.addLast(failure);
  }

  /** Newest first. */
  synchronized List<Failure> newestFirst() {
    List<Failure> all = new ArrayList<>(ring);
    java.util.Collections.reverse(all);
    return all;
  }
}
