package io.connectedregistry.sync;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.impl.HttpClientConnectionInternal;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On every HTTP/1.1 connection to the parent, between Netty's HTTP decoder and Vert.x: diverts the
 * body of a marked blob request's 200/206 answer to its {@link DirectBody}, so the pooled buffers
 * are written to disk as they are instead of being copied to the heap by Vert.x first. Vert.x
 * still sees the response head and its end (an empty last chunk). Requests are strictly one after
 * another on a connection (no pipelining), so the next head answers the last marked request.
 */
final class ParentBodyTap extends ChannelDuplexHandler {
  private static final Logger LOG = LoggerFactory.getLogger(ParentBodyTap.class);
  static final String NAME = "connected-registry-body-tap";

  /** The body the request just sent asked for, until its answer's head arrives. */
  private DirectBody awaiting;
  /** The body being diverted now. */
  private DirectBody diverting;

  /** Adds the tap to a new connection of the parent client (its connect handler). */
  static void install(HttpConnection connection) {
    if (!(connection instanceof HttpClientConnectionInternal internal)) {
      return; // another kind of connection (HTTP/2): bodies go through Vert.x as before
    }
    var pipeline = internal.channelHandlerContext().pipeline();
    if (pipeline.get("handler") != null && pipeline.get(NAME) == null) {
      // A diverted body's buffers live until the disk has them (a few MiB in flight), not a
      // moment as in Vert.x. Netty's arena allocator reuses its chunks and counts them outside
      // the JDK's direct-memory limit; the adaptive one Vert.x picks frees a chunk only when all
      // its buffers are released, and the new chunks it then takes from the JDK each trigger a
      // full collection once -XX:MaxDirectMemorySize is near (64 per GiB with the small-device
      // settings).
      var config = internal.channelHandlerContext().channel().config();
      config.setAllocator(PooledByteBufAllocator.DEFAULT);
      // Reads grow up to 256 KiB when the parent sends fast (Netty stops at 64 KiB): a quarter
      // of the reads, decodes and hand-overs per GiB. Still within one pooled chunk (1 MiB with
      // the small-device settings), so never an unpooled allocation.
      config.setRecvByteBufAllocator(new AdaptiveRecvByteBufAllocator(64, 2048, ParentCaller.BODY_CHUNK_BYTES));
      pipeline.addBefore("handler", NAME, new ParentBodyTap());
    } else {
      LOG.debug("no body tap on a parent connection (pipeline {})", pipeline.names());
    }
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
    if (msg instanceof HttpRequest request) {
      // The mark never leaves this process, whichever host the request goes to.
      String id = request.headers().get(DirectBody.HEADER);
      request.headers().remove(DirectBody.HEADER);
      awaiting = DirectBody.expected(id);
    }
    super.write(ctx, msg, promise);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (msg instanceof HttpResponse head) {
      DirectBody asked = awaiting;
      awaiting = null;
      int status = head.status().code();
      if (asked != null && (status == 200 || status == 206) && asked.start(ctx.channel())) {
        diverting = asked;
      }
      // A head can also be the whole message (a FullHttpResponse): it then carries its body too.
      if (diverting != null && msg instanceof HttpContent) {
        LOG.debug("a parent's blob answer came as one message; not diverted");
        diverting.fail(new IOException("the parent's answer could not be streamed"));
        diverting = null;
      }
      super.channelRead(ctx, msg);
      return;
    }
    if (diverting != null && msg instanceof HttpContent content) {
      DirectBody body = diverting;
      body.add(content.content()); // the body now owns the bytes
      if (msg instanceof LastHttpContent last) {
        diverting = null;
        body.end();
        super.channelRead(ctx, new DefaultLastHttpContent(io.netty.buffer.Unpooled.EMPTY_BUFFER,
            last.trailingHeaders()));
      }
      return;
    }
    super.channelRead(ctx, msg);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    failDiverted(new IOException("the parent closed the connection before the blob's end"));
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
    failDiverted(cause instanceof IOException ? cause : new IOException(cause.toString(), cause));
    super.exceptionCaught(ctx, cause);
  }

  private void failDiverted(Throwable cause) {
    DirectBody body = diverting;
    diverting = null;
    awaiting = null;
    if (body != null) {
      body.fail(cause);
    }
  }
}
