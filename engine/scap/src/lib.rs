//! .scap capture files: streaming reader, writer, converter.
