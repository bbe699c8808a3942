package io.connectedregistry.api;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import io.connectedregistry.auth.AccessControl;
import io.connectedregistry.auth.Principal;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.StatusBoard;
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
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code GET /} for a browser ({@code Accept} prefers {@code text/html}): the registry's status as
 * one HTML page rendered here, no script, reloading itself every {@value #REFRESH_SECONDS} s (a
 * {@code Refresh} header). Other callers of {@code /} get the 404 they always got.
 *
 * <p>It shows each viewer what {@code GET /_connected/v1/status} would: everyone the states
 * (activation, connection, mode, sync now, last and next), readers the repositories they may read,
 * operators ({@link AccessControl#isOperator}) also the parent, version, disk, upstream queue and
 * the last errors with their correlation ids. {@code /?admin} answers a Basic challenge to anyone
 * else, since a browser sends credentials only after one.
 *
 * <p>{@link StatusPageView} puts the values; every one goes through mustache's HTML escaping (the
 * template uses only {@code {{x}}}): repository names, error texts and the parent come from outside. The page gets its own CSP:
 * the sandbox of every answer, plus its one {@code <style>} block by hash.
 */
final class StatusPage {
  static final int REFRESH_SECONDS = 10;
  /** Repositories listed, most recently changed first; the rest are counted. */
  static final int REPOSITORIES_SHOWN = 50;
  private static final String TEMPLATE = "status-page/status-page.mustache";

  private final Storage storage;
  private final SyncService sync;
  private final StatusBoard board;
  private final AccessControl access;
  private final RecentFailures failures;
  private final Clock clock;
  /** Compiled at the first page, not at start: mustache is ~40 classes a registry nobody looks at never needs. */
  private Mustache template;
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
      return html(StatusPageView.of(current, repositories, failures.newestFirst(), viewer, operator,
          clock.instant()));
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

  private synchronized Mustache template() {
    if (template == null) {
      template = new DefaultMustacheFactory().compile(TEMPLATE);
    }
    return template;
  }

  String html(Map<String, Object> view) {
    StringWriter out = new StringWriter();
    template().execute(out, view);
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
