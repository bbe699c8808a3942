package io.connectedregistry.api;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import io.connectedregistry.auth.AccessControl;
import io.connectedregistry.auth.Principal;
import io.connectedregistry.status.ConnectionState;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.StatusBoard;
import io.connectedregistry.status.SyncPhase;
import io.connectedregistry.storage.RegistryStorage.RepositoryPage;
import io.connectedregistry.sync.SyncService;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code GET /} for a browser ({@code Accept} prefers {@code text/html}): the registry's status as
 * one HTML page rendered here, no script, reloading itself every {@value #REFRESH_SECONDS} s (a
 * {@code Refresh} header). Other
 * callers of {@code /} get the 404 they always got.
 *
 * <p>It shows each viewer what {@code GET /_connected/v1/status} would: everyone the states
 * (activation, connection, mode, sync now, last and next), readers the repositories they may read,
 * operators ({@link AccessControl#isOperator}) also the parent, version, disk, upstream queue and
 * the last errors with their correlation ids. {@code /?admin} answers a Basic challenge to anyone
 * else, since a browser sends credentials only after one.
 *
 * <p>Every value goes through mustache's HTML escaping (the template uses only {@code {{x}}});
 * repository names, error texts and the parent come from outside. The page gets its own CSP:
 * the sandbox of every answer, plus its one {@code <style>} block by hash.
 */
final class StatusPage {
  static final int REFRESH_SECONDS = 10;
  /** Repositories listed, most recently changed first; the rest are counted. */
  static final int REPOSITORIES_SHOWN = 50;
  private static final String TEMPLATE = "status-page/status-page.mustache";
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

  private final Storage storage;
  private final SyncService sync;
  private final StatusBoard board;
  private final AccessControl access;
  private final RecentFailures failures;
  private final Clock clock;
  private final Mustache template;
  private final String contentSecurityPolicy;

  /** @param sync null for a root registry */
  StatusPage(Storage storage, SyncService sync, StatusBoard board, AccessControl access, RecentFailures failures,
      Clock clock) {
    this.storage = storage;
    this.sync = sync;
    this.board = board;
    this.access = access;
    this.failures = failures;
    this.clock = clock;
    this.template = new DefaultMustacheFactory().compile(TEMPLATE);
    this.contentSecurityPolicy = "default-src 'none'; style-src '" + styleHash(readTemplate())
        + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox";
  }

  RecentFailures failures() {
    return failures;
  }

  /** First handler of {@code GET /}: on to the page for a browser, else today's 404. */
  void negotiate(RoutingContext ctx) {
    if (prefersHtml(ctx.request().headers().getAll("Accept"))) {
      ctx.next();
    } else {
      ctx.fail(404);
    }
  }

  /** After {@link AuthHandler#viewer()}: the page for this caller. */
  void render(RoutingContext ctx) {
    Principal viewer = AuthHandler.principal(ctx);
    boolean operator = access.isOperator(viewer);
    if (ctx.request().params().contains("admin") && !operator) {
      AuthHandler.adminChallenge(ctx, "the status page's admin part needs an admin token's name and password");
      return;
    }
    Future<RegistryStatus> status = sync == null ? Future.succeededFuture(board.current()) : sync.freshStatus();
    status.compose(current -> storage.call(s -> {
      // One SQLite read, then rendering: both here on the storage worker, never on the event loop.
      RepositoryPage repositories = viewer.mayListCatalog() || operator
          ? s.repositoriesByLastChange(name -> operator || viewer.maySee(name), REPOSITORIES_SHOWN)
          : new RepositoryPage(List.of(), 0);
      return html(view(current, repositories, viewer, operator));
    })).onSuccess(html -> ctx.response()
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .putHeader("Cache-Control", "no-store")
        // The header, not <meta http-equiv="refresh">: Chromium ignores the meta element in a
        // document sandboxed without allow-scripts, and the page keeps the sandbox of every answer.
        .putHeader("Refresh", String.valueOf(REFRESH_SECONDS))
        .putHeader("Vary", "Accept, Authorization")
        .putHeader("Content-Security-Policy", contentSecurityPolicy)
        .putHeader("Referrer-Policy", "no-referrer")
        .end(html)).onFailure(ctx::fail);
  }

  String html(Map<String, Object> view) {
    StringWriter out = new StringWriter();
    template.execute(out, view);
    return out.toString();
  }

  /**
   * Whether {@code Accept} prefers an HTML page: {@code text/html} (or XHTML) is listed with a
   * quality no other named type beats. A bare {@code *}{@code /*} (curl, registry clients) is no
   * preference.
   */
  static boolean prefersHtml(List<String> headers) {
    double html = 0;
    double other = 0;
    for (String header : headers) {
      for (String part : header.split(",")) {
        String[] fields = part.split(";");
        String type = fields[0].trim().toLowerCase(Locale.ROOT);
        double q = quality(fields);
        if (type.equals("text/html") || type.equals("application/xhtml+xml")) {
          html = Math.max(html, q);
        } else if (!type.isEmpty() && !type.endsWith("/*")) {
          other = Math.max(other, q);
        }
      }
    }
    return html > 0 && html >= other;
  }

  private static double quality(String[] fields) {
    for (int i = 1; i < fields.length; i++) {
      String parameter = fields[i].trim();
      if (parameter.startsWith("q=")) {
        try {
          double q = Double.parseDouble(parameter.substring(2).trim());
          return q >= 0 && q <= 1 ? q : 0;
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 1;
  }

  /** What the template shows this viewer: plain values only, every one escaped by mustache. */
  Map<String, Object> view(RegistryStatus status, RepositoryPage repositories, Principal viewer, boolean operator) {
    Instant now = clock.instant();
    Map<String, Object> v = new HashMap<>();
    v.put("refreshSeconds", REFRESH_SECONDS);
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
    v.put("version", status.version() == null ? "unknown" : status.version());
    boolean healthy = status.activation() == io.connectedregistry.status.Activation.Active
        && (connection == ConnectionState.Online || connection == ConnectionState.Syncing)
        && (s == null || s.syncState() != SyncPhase.Failed && s.syncState() != SyncPhase.Paused);
    v.put("headline", healthy ? "Healthy" : connection == ConnectionState.Offline ? "Parent unreachable"
        : connection == ConnectionState.Unhealthy ? "Parent refuses us"
        : status.activation() != io.connectedregistry.status.Activation.Active ? "Starting" : "Needs attention");
    v.put("healthClass", healthy ? "ok" : status.activation() != io.connectedregistry.status.Activation.Active
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
      RegistryStatus.Storage disk = status.storage();
      v.put("used", disk.bytesUsed() < 0 ? "not measured yet" : bytes(disk.bytesUsed())
          + " in " + disk.repositories() + " repositories");
      v.put("free", disk.freeBytes() < 0 ? "not measured yet" : bytes(disk.freeBytes()));
      v.put("blobs", disk.blobs() < 0 ? "not measured yet" : String.valueOf(disk.blobs()));
      v.put("queuePending", status.upstreamQueue().pending());
      v.put("queueExpired", status.upstreamQueue().expired());
      v.put("expiredClass", status.upstreamQueue().expired() > 0 ? "bad" : "");
      v.put("freeClass", s != null && s.paused() != null ? "bad" : "");
      List<Map<String, Object>> errors = errors(status, now);
      v.put("errors", errors);
      v.put("hasErrors", !errors.isEmpty());
    }
    v.put("viewer", viewer instanceof Principal.Anonymous
        ? operator ? "Anonymous callers may do everything here (a registry on loopback without tokens)."
            : "You are not signed in."
        : "Signed in as token " + viewer.displayName() + (operator ? " (admin)." : "."));
    return v;
  }

  private void putSync(Map<String, Object> v, RegistryStatus.Sync s, Instant now, boolean operator) {
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
  private String summary(RegistryStatus status, RegistryStatus.Sync s, Instant now) {
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
  private List<Map<String, Object>> errors(RegistryStatus status, Instant now) {
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
    for (RecentFailures.Failure failure : failures.newestFirst()) {
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

  private static String readTemplate() {
    try (InputStream in = StatusPage.class.getClassLoader().getResourceAsStream(TEMPLATE)) {
      if (in == null) {
        throw new IllegalStateException(TEMPLATE + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** CSP's hash source of the template's one {@code <style>} element (no mustache tag inside it). */
  static String styleHash(String template) {
    int start = template.indexOf("<style>");
    int end = template.indexOf("</style>");
    if (start < 0 || end < start || template.indexOf("<style>", end) >= 0) {
      throw new IllegalStateException(TEMPLATE + " must hold exactly one <style> element");
    }
    String css = template.substring(start + "<style>".length(), end);
    if (css.contains("{{")) {
      throw new IllegalStateException(TEMPLATE + ": no template tag inside <style>, its hash is fixed");
    }
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(css.getBytes(StandardCharsets.UTF_8));
      return "sha256-" + Base64.getEncoder().encodeToString(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
