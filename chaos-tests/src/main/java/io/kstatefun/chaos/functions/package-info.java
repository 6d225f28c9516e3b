/** The functions the chaos rounds run, on the official StateFun SDK and on the kstatefun SDK. */
package io.kstatefun.chaos.functions;
