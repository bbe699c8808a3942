package io.connectedregistry.e2e.support;

import java.time.Instant;

/** What end-to-end tests of a connected registry wait for. */
public final class SyncSupport {
  private SyncSupport() {}

  /**
   * Waits until the child's start-up sync cycle is over ({@code lastCycle} in its status, which
   * only operators see: pass an admin token's header where anonymous callers may not do
   * everything), so that only what a test does next brings content.
   */
  public static void awaitFirstCycle(RegistryProcess child, String... operatorHeader) {
    Instant deadline = Instant.now().plusSeconds(30);
    RegistryClient client = new RegistryClient(child);
    while (Instant.now().isBefore(deadline)) {
      if (client.get("/_connected/v1/status", operatorHeader).json().has("lastCycle")) {
        return;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("the child's first sync cycle did not end within 30 s");
  }
}
