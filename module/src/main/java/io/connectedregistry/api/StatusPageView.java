package io.connectedregistry.api;

import io.connectedregistry.auth.Principal;
import io.connectedregistry.status.Activation;
import io.connectedregistry.status.ConnectionState;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.SyncPhase;
import io.connectedregistry.storage.RegistryStorage.RepositoryPage;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The values of the status page's template ({@code status-page/status-page.mustache}) for one
 * viewer: the status in words (times with how long ago, bytes in KiB/MiB/GiB), the repositories
 * given, and for operators the admin part. Pure: no I/O.
 */
final class StatusPageView {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

  private StatusPageView() {}

  /**
   * What the template shows this viewer: plain values only (mustache escapes every one). Admin
   * values are put only for operators, so the template cannot show them to anyone else.
   */
  static Map<String, Object> of(RegistryStatus status, RepositoryPage repositories, List<RecentFailures.Failure> failures,
      Principal viewer, boolean operator, Instant now) {
    Map<String, Object> v = new HashMap<>();
    v.put("refreshSeconds", StatusPage.REFRESH_SECONDS);
    v.put("generatedAt", TIME.format(now));
    v.put("admin", operator);
    v.put("activation", status.activation().name());
    ConnectionState connection = status.connectionState();
    v.put("connectionState", connection.name());
    v.put("connectionClass", switch (connection) {
      case Online, Syncing -> "ok";
      case Offline, Unhealthy -> "bad";
    });
    RegistryStatus.Sync s = status.sync();
    v.put("connectionMeaning", switch (connection) {
      case Online -> s == null ? "a root registry: no parent" : "the parent answers";
      case Syncing -> "a sync cycle is running and the parent answers";
      case Offline -> "the parent is unreachable";
      case Unhealthy -> "the parent answers but refuses this registry's credentials";
    });
    v.put("mode", status.mode() == null ? "unknown" : status.mode().name());
    v.put("role", s == null ? "root (no parent)" : "connected registry");
    boolean healthy = status.activation() == Activation.Active
        && (connection == ConnectionState.Online || connection == ConnectionState.Syncing)
        && (s == null || s.syncState() != SyncPhase.Failed && s.syncState() != SyncPhase.Paused);
    v.put("headline", healthy ? "Healthy" : connection == ConnectionState.Offline ? "Parent unreachable"
        : connection == ConnectionState.Unhealthy ? "Parent refuses us"
        : status.activation() != Activation.Active ? "Starting" : "Needs attention");
    v.put("healthClass", healthy ? "ok" : status.activation() != Activation.Active
        ? "warn" : "bad");
    if (s != null) {
      v.put("sync", true);
      putSync(v, s, now, operator);
    }
    v.put("summary", summary(status, s, now));

    List<Map<String, Object>> rows = new ArrayList<>();
    for (var repository : repositories.first()) {
      rows.add(Map.of("name", repository.name(), "tags", repository.tags(),
          "lastChange", repository.lastChange() <= 0 ? "unknown"
              : when(Instant.ofEpochMilli(repository.lastChange()), now)));
    }
    v.put("repositories", rows);
    v.put("hasRepositories", !rows.isEmpty());
    v.put("repositoriesNote", rows.isEmpty()
        ? (viewer.mayListCatalog() || operator ? "No repository you may read holds an image yet."
            : "Sign in to see repositories.")
        : repositories.more() > 0
            ? "The " + rows.size() + " most recently changed; " + repositories.more() + " more not shown."
            : rows.size() + (rows.size() == 1 ? " repository" : " repositories") + ", most recently changed first.");

    if (operator) {
      v.put("version", status.version() == null ? "unknown" : status.version());
      RegistryStatus.Storage disk = status.storage();
      v.put("used", disk.bytesUsed() < 0 ? "not measured yet" : bytes(disk.bytesUsed())
          + " in " + disk.repositories() + " repositories");
      v.put("free", disk.freeBytes() < 0 ? "not measured yet" : bytes(disk.freeBytes()));
      v.put("blobs", disk.blobs() < 0 ? "not measured yet" : String.valueOf(disk.blobs()));
      v.put("queuePending", status.upstreamQueue().pending());
      v.put("queueExpired", status.upstreamQueue().expired());
      v.put("expiredClass", status.upstreamQueue().expired() > 0 ? "bad" : "");
      v.put("freeClass", s != null && s.paused() != null ? "bad" : "");
      List<Map<String, Object>> errors = errors(status, failures, now);
      v.put("errors", errors);
      v.put("hasErrors", !errors.isEmpty());
    }
    v.put("viewer", viewer instanceof Principal.Anonymous
        ? operator ? "Anonymous callers may do everything here (a registry on loopback without tokens)."
            : "You are not signed in."
        : "Signed in as token " + viewer.displayName() + (operator ? " (admin)." : "."));
    return v;
  }

  private static void putSync(Map<String, Object> v, RegistryStatus.Sync s, Instant now, boolean operator) {
    SyncPhase phase = s.syncState();
    boolean running = phase == SyncPhase.Syncing;
    v.put("syncNow", running ? "Sync running" + (s.lastSyncStartTime() == null ? ""
        : " since " + when(instant(s.lastSyncStartTime()), now))
        : phase == SyncPhase.Paused ? "Paused: waiting for free space" : "Idle");
    v.put("syncClass", running ? "ok" : phase == SyncPhase.Paused ? "warn" : "");
    String started = s.lastSyncStartTime() == null ? null : when(instant(s.lastSyncStartTime()), now);
    String ended = s.lastSyncEndTime() == null ? null : when(instant(s.lastSyncEndTime()), now);
    v.put("lastSync", started == null ? "none yet" : "started " + started + (ended == null || running ? ""
        : ", ended " + ended) + (s.syncTrigger() == null ? "" : " (" + s.syncTrigger().name().toLowerCase(Locale.ROOT)
        + ")"));
    v.put("result", switch (phase) {
      case Pending -> "no cycle has ended yet";
      case Syncing -> "running";
      case Succeeded -> "Succeeded";
      case Failed -> "Failed";
      case TimedOut -> "Stopped at the window's end";
      case Paused -> "Paused";
    });
    v.put("resultClass", phase == SyncPhase.Succeeded ? "ok" : phase == SyncPhase.Failed ? "bad"
        : phase == SyncPhase.TimedOut ? "warn" : "");
    v.put("lastSuccess", s.lastSuccessfulSyncEndTime() == null ? "none yet"
        : when(instant(s.lastSuccessfulSyncEndTime()), now));
    v.put("nextWindow", s.nextSyncWindow() == null ? "open now (no window, or the window is open)"
        : when(instant(s.nextSyncWindow()), now));
    if (operator) {
      v.put("hasParent", true);
      v.put("parent", endpoint(s.parent()));
      v.put("hasParentKind", s.parentKind() != null);
      v.put("parentKind", "feed".equals(s.parentKind()) ? "change feed" : "tag listing");
      RegistryStatus.LastCycle cycle = s.lastCycle();
      v.put("lastCycle", cycle == null ? "" : cycle.tagsCopied() + " tags copied, " + cycle.tagsDeleted()
          + " deleted, " + bytes(cycle.bytes()) + " in " + Duration.ofMillis(cycle.durationMillis()).toSeconds()
          + " s, " + cycle.errors() + " errors");
      v.put("paused", s.paused() == null ? "" : s.paused().description());
    }
  }

  /** A one-line answer to "is it fine?", for the top of the page. */
  private static String summary(RegistryStatus status, RegistryStatus.Sync s, Instant now) {
    if (s == null) {
      return "A root registry: it serves its own content and syncs from nobody.";
    }
    if (status.connectionState() == ConnectionState.Offline) {
      return "The parent is unreachable (Offline): pulls are served from what this registry holds"
          + (s.lastSuccessfulSyncEndTime() == null ? "." : ", last synced " + when(instant(s.lastSuccessfulSyncEndTime()), now) + ".");
    }
    if (s.syncState() == SyncPhase.Syncing) {
      return "A sync is running now.";
    }
    return s.lastSuccessfulSyncEndTime() == null ? "No sync has succeeded yet."
        : "Last synced " + when(instant(s.lastSuccessfulSyncEndTime()), now) + ".";
  }

  /** Sync's last error and the status' details (each with its correlation id), then the recent 500s. */
  private static List<Map<String, Object>> errors(RegistryStatus status, List<RecentFailures.Failure> failures,
      Instant now) {
    List<Map<String, Object>> errors = new ArrayList<>();
    RegistryStatus.StatusDetails syncError = status.sync() == null ? null : status.sync().lastError();
    for (RegistryStatus.StatusDetails details : new RegistryStatus.StatusDetails[] {status.statusDetails(), syncError}) {
      if (details != null && errors.stream().noneMatch(e -> e.get("correlationId").equals(
          String.valueOf(details.correlationId())))) {
        errors.add(Map.of("when", details.timestamp() == null ? "" : when(instant(details.timestamp()), now),
            "what", (details.code() == null ? "" : details.code() + ": ") + String.valueOf(details.description()),
            "correlationId", String.valueOf(details.correlationId())));
      }
    }
    for (RecentFailures.Failure failure : failures) {
      errors.add(Map.of("when", when(failure.at(), now),
          "what", "500 Internal error (" + failure.type() + ") on " + failure.request(),
          "correlationId", failure.correlationId()));
    }
    return errors;
  }

  /** The parent's URL without whom we log in as: {@code ParentEndpoint#toString} appends " as NAME". */
  static String endpoint(String parent) {
    if (parent == null) {
      return "none";
    }
    int space = parent.indexOf(' ');
    String url = space < 0 ? parent : parent.substring(0, space);
    int scheme = url.indexOf("://");
    int at = url.indexOf('@');
    return scheme >= 0 && at > scheme ? url.substring(0, scheme + 3) + url.substring(at + 1) : url;
  }

  private static Instant instant(String iso) {
    try {
      return Instant.parse(iso);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** {@code 2026-11-30 10:04:05 UTC (3 min ago)}. */
  static String when(Instant at, Instant now) {
    if (at == null) {
      return "unknown";
    }
    long seconds = Duration.between(at, now).toSeconds();
    long abs = Math.abs(seconds);
    String span = abs < 60 ? abs + " s" : abs < 3600 ? abs / 60 + " min" : abs < 172_800 ? abs / 3600 + " h"
        : abs / 86_400 + " days";
    return TIME.format(at) + " (" + (seconds >= 0 ? span + " ago" : "in " + span) + ")";
  }

  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double value = n;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }
}
