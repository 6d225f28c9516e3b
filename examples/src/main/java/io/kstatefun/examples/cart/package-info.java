/** The shopping-cart example: cart and inventory functions messaging each other. */
package io.kstatefun.examples.cart;
