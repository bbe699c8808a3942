package io.connectedregistry.sync;

import java.util.List;

/**
 * What a parent's listing gave: the entries that passed the OCI grammar, in the parent's order,
 * and why the others were refused (for the sync report; the parent is never asked about them).
 *
 * @param refused at most a few reasons, the last one counting the rest
 */
public record Listing<T>(List<T> entries, List<String> refused) {

  public Listing {
    entries = List.copyOf(entries);
    refused = List.copyOf(refused);
  }
}
