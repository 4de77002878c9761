//! The CEL subset: parser, static types, runtime values and the compiler to closures.

pub mod ast;
pub mod compile;
pub mod parse;
pub mod types;
pub mod value;

pub use compile::{Code, Compiler, Frame, Param, Program, TypeError};
pub use parse::{SyntaxError, parse};
pub use types::Ty;
pub use value::V;
