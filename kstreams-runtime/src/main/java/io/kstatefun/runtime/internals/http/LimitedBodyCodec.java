package io.kstatefun.runtime.internals.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import io.vertx.ext.web.codec.BodyCodec;
import io.vertx.ext.web.codec.spi.BodyStream;

/**
 * A response body codec that buffers at most {@code maxBytes} and fails the response as soon as
 * more arrive, so an oversized answer never sits whole in memory.
 *
 * <p>Threading: one instance per response, used on its connection's event loop.
 */
final class LimitedBodyCodec {

  /** The failure of a response that exceeded the limit. */
  static final class TooLargeException extends RuntimeException {
    TooLargeException(long maxBytes) {
      super("response body exceeds " + maxBytes + " bytes", null, false, false);
    }
  }

  private LimitedBodyCodec() {}

  static BodyCodec<Buffer> of(int maxBytes) {
    return () -> new Stream(maxBytes);
  }

  static boolean isTooLarge(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof TooLargeException) {
        return true;
      }
    }
    return false;
  }

  private static final class Stream implements BodyStream<Buffer> {
    private final int maxBytes;
    private final Buffer body = Buffer.buffer();
    private final Promise<Buffer> result = Promise.promise();
    private Handler<Throwable> exceptionHandler;
    private boolean failed;

    Stream(int maxBytes) {
      this.maxBytes = maxBytes;
    }

    @Override
    public Future<Buffer> result() {
      return result.future();
    }

    @Override
    public void handle(Throwable failure) {
      failed = true;
      result.tryFail(failure);
    }

    @Override
    public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
      this.exceptionHandler = handler;
      return this;
    }

    @Override
    public Future<Void> write(Buffer data) {
      if (failed) {
        return Future.failedFuture("response already failed");
      }
      if ((long) body.length() + data.length() > maxBytes) {
        failed = true;
        TooLargeException e = new TooLargeException(maxBytes);
        result.tryFail(e);
        if (exceptionHandler != null) {
          exceptionHandler.handle(e);
        }
        return Future.failedFuture(e);
      }
      body.appendBuffer(data);
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> end() {
      if (!failed) {
        result.tryComplete(body);
      }
      return Future.succeededFuture();
    }

    @Override
    public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
      return this;
    }

    @Override
    public boolean writeQueueFull() {
      return false;
    }

    @Override
    public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
      return this;
    }
  }
}
