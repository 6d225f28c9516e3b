/** The module.yaml parsers behind {@code ModuleParser}; implementation, not API. */
package io.kstatefun.routing.module.internals;
