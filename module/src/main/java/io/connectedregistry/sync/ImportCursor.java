package io.connectedregistry.sync;

import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.config.RegistryConfig;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What an imported bundle (carried in from the parent on a disk) does to the sync state: when the
 * bundle continues the log the cursor counts in and covers everything this registry syncs, the
 * cursor moves to the bundle's, so the next online sync goes on from there and transfers none of
 * its bytes again, and its tags count as sync's (the parent's later deletes apply to them).
 * Otherwise the content stays imported and the cursor stays, with the reason said. One rule for
 * the offline command and the running registry ({@link SyncService#importBundle}).
 */
public final class ImportCursor {
  private ImportCursor() {}

  /**
   * What the bundle says about where it came from.
   *
   * @param store the source's store id (null when the bundle does not say: another tool's archive)
   * @param cursor the source's change-log head when the export began
   * @param since null for a full bundle, else the cursor it continues from
   * @param repositories the repositories the export covered
   */
  public record Bundle(String store, long cursor, Long since, Set<String> repositories) {}

  /** A tag the import set (or deleted: {@code digest} null). */
  public record TagChange(String repository, String tag, String digest) {}

  /** What the import changed that the sync state must know. */
  public record Applied(List<TagChange> tagsSet, List<TagChange> tagsDeleted) {}

  /**
   * @param before the cursor before the import
   * @param after the cursor after it (equal when unchanged)
   * @param advanced whether the cursor was taken from the bundle
   * @param reason why the cursor stayed (null when it moved)
   */
  public record Outcome(long before, long after, boolean advanced, String reason) {}

  /**
   * The tags sync created, as the import's commit must see them: a deleted tag is deleted here
   * only if sync created it and it still points where sync put it.
   */
  public static Map<String, Map<String, String>> syncedTags(SyncState state) {
    Map<String, Map<String, String>> copy = new TreeMap<>();
    for (String repository : state.repositories()) {
      copy.put(repository, state.syncedTags(repository));
    }
    return copy;
  }

  /**
   * Applies an import to the sync state (in memory: the caller writes it). On the sync context,
   * or offline while the registry is stopped.
   */
  public static Outcome apply(SyncState state, Bundle bundle, Applied applied, RegistryConfig.SyncConfig sync) {
    List<RepositoryPattern> scope = sync.repositories().stream().map(RepositoryPattern::of).toList();
    TagFilter filter = new TagFilter(sync.tags());
    for (TagChange deleted : applied.tagsDeleted()) {
      state.tagRemoved(deleted.repository(), deleted.tag());
    }
    long before = state.cursor();
    String reason = refusal(state, bundle, scope);
    if (reason != null) {
      return new Outcome(before, before, false, reason);
    }
    state.storeSeen(bundle.store());
    state.follow(Math.max(before, bundle.cursor()));
    for (TagChange set : applied.tagsSet()) {
      if (inScope(scope, set.repository()) && filter.accepts(set.tag())) {
        state.tagSynced(set.repository(), set.tag(), set.digest());
      }
    }
    return new Outcome(before, state.cursor(), true, null);
  }

  /** Why the bundle cannot move the cursor, or null when it can. */
  private static String refusal(SyncState state, Bundle bundle, List<RepositoryPattern> scope) {
    if (bundle.store() == null) {
      return "the archive does not say which registry's change log it comes from (not a bundle"
          + " exported by connected-registry): the next sync compares everything";
    }
    if (state.store() != null && !state.store().equals(bundle.store())) {
      return "the bundle comes from store " + bundle.store() + ", not the parent's store "
          + state.store() + " that the sync cursor counts in";
    }
    if (scope.isEmpty()) {
      return "this registry syncs no repositories (sync.repositories is empty)";
    }
    for (RepositoryPattern pattern : scope) {
      if (pattern.isWildcard()) {
        // Which repositories the wildcard matches at the parent is not known offline: moving the
        // cursor could skip a repository the bundle left out.
        return "this registry syncs '" + pattern.value() + "', a wildcard: a bundle cannot be known"
            + " to cover every repository it matches";
      }
      if (!bundle.repositories().contains(pattern.value())) {
        return "the bundle does not cover " + pattern.value() + ", which this registry syncs";
      }
    }
    if (bundle.since() != null && (!state.following() || bundle.since() > state.cursor())) {
      return "the bundle holds the changes after " + bundle.since() + ", but this registry's sync"
          + (state.following() ? " cursor is at " + state.cursor() : " has not copied everything yet")
          + ": import the earlier bundle first, or a full one";
    }
    return null;
  }

  private static boolean inScope(List<RepositoryPattern> scope, String repository) {
    return scope.stream().anyMatch(p -> p.matches(repository));
  }
}
