// The Unified Login's HTML pages: authorize (login and consent), the grants page and logout, with their CSRF-checked
// forms and the session cookie.

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/error_response.hpp"
#include "api/html_pages.hpp"
#include "api/oauth_handler.hpp"
#include "api/oauth_routes.hpp"
#include "api/query_parameters.hpp"
#include "api/web_forms.hpp"
#include "core/process_counters.hpp"

namespace phonechat {
namespace {

constexpr std::string_view kGrantsPath = "/OAuth/Grants";
constexpr std::string_view kLoginFailed = "The nickname, e-mail or password is not correct.";
constexpr std::string_view kLoginMissing = "Enter your nickname (or e-mail) and your password.";
constexpr std::string_view kLoginThrottled = "Too many failed sign-ins. Wait a moment, then try again.";

constexpr std::array<std::string_view, 7> kAuthorizeFields{
    "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"};

std::string_view QueryOf(std::string_view target) {
  const auto question = target.find('?');
  return question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
}

// ------------------------------------------------------------------------------------------------ failures

// The page of a request that failed (ErrorFromException): the status from the table, words for a person.
http::Response PageFailure(const Error& error) {
  if (error.code == ErrorCode::kUnavailable) {
    return ErrorPage(error.code, "Temporarily unavailable", "The service is temporarily unavailable. Try again.");
  }
  return ErrorPage(error.code, "Something went wrong", error.message);
}

// ------------------------------------------------------------------------------------------------ pages

http::Response Redirect(int status, std::string location) {
  http::Response response;
  response.status = status;
  response.headers.emplace_back("Location", std::move(location));
  response.headers.emplace_back("Cache-Control", "no-store");
  // The location may carry a code or a token: no page it leads to may learn where the browser came from.
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  return response;
}

// The CSRF cookie's value for the forms of a page: the browser's own when it has a well-formed one, else new.
struct CsrfCookie {
  std::string value;
  bool is_new = false;
  bool secure = false;  // set with `Secure`
};

// The server itself speaks plain HTTP: only a trusted proxy in front can say the browser used HTTPS.
bool CookiesSecure(const http::Request& request) { return request.Origin().https; }

CsrfCookie CsrfFor(const http::Request& request) {
  const std::optional<std::string_view> existing = FindCookie(request.Header("Cookie"), kCsrfCookie);
  if (existing && IsIssuedCookieValue(*existing)) return CsrfCookie{std::string(*existing), false, false};
  return CsrfCookie{NewCsrfToken(), true, CookiesSecure(request)};
}

http::Response WithCsrfCookie(http::Response response, const CsrfCookie& csrf) {
  if (csrf.is_new) response.headers.emplace_back("Set-Cookie", SetCookieValue(kCsrfCookie, csrf.value, csrf.secure));
  return response;
}

std::optional<LoginSession> CurrentSession(OAuthService& service, const http::Request& request) {
  const std::optional<std::string_view> cookie = FindCookie(request.Header("Cookie"), kSessionCookie);
  if (!cookie || cookie->empty()) return std::nullopt;
  return service.FindSession(*cookie);
}

std::vector<ScopeLine> DescribeScopes(const std::vector<std::string>& scopes) {
  std::vector<ScopeLine> lines;
  lines.reserve(scopes.size());
  for (const std::string& scope : scopes) {
    const auto& known = KnownScopes();
    const auto found = std::find_if(known.begin(), known.end(),
                                    [&](const ScopeDescription& description) { return description.name == scope; });
    lines.push_back(ScopeLine{scope, found != known.end() ? std::string(found->description) : scope});
  }
  return lines;
}

// The form of a POST, or the page that refuses it: 400 when it is not a form, 403 when the CSRF check fails.
struct PostedForm {
  QueryParameters fields;
  std::optional<http::Response> refusal;
};

PostedForm ReadCheckedForm(const http::Request& request) {
  PostedForm form;
  if (!IsFormContentType(request.Header("Content-Type"))) {
    form.refusal = ErrorPage(ErrorCode::kInvalidRequest, "Invalid request",
                             "The form was not sent as application/x-www-form-urlencoded.");
    return form;
  }
  form.fields = QueryParameters::Parse(request.Body());
  if (!CsrfMatches(FindCookie(request.Header("Cookie"), kCsrfCookie), FieldValue(form.fields, "csrf"))) {
    form.refusal = ErrorPage(ErrorCode::kCsrfMismatch, "Request refused",
                             "This form has expired or was not sent from this site. Go back, reload the page and "
                             "try again.");
  }
  return form;
}

// Where a login form sits: what it shows and where a successful login goes.
struct LoginPlace {
  std::string target;  // the form's action, and the 303's Location on success
  std::string project_name;
  bool cancellable = false;
  FormTargets form_targets = FormTargets::kSelfOnly;
};

LoginPageView LoginView(const LoginPlace& place, std::string csrf) {
  LoginPageView view;
  view.form_action = place.target;
  view.csrf = std::move(csrf);
  view.project_name = place.project_name;
  view.cancellable = place.cancellable;
  view.form_targets = place.form_targets;
  return view;
}

// `action=login`: the Argon2id check runs deferred; success sets the session cookie and answers 303.
http::Response DeferLogin(OAuthService& service, const http::Request& request, const QueryParameters& form,
                          LoginPlace place) {
  std::string login = FieldValue(form, "login");
  std::string password = FieldValue(form, "password");
  std::string csrf = FieldValue(form, "csrf");  // equal to the cookie: checked before
  if (login.empty() || password.empty()) {
    LoginPageView view = LoginView(place, std::move(csrf));
    view.login = std::move(login);
    view.error = kLoginMissing;
    return LoginPage(view, ErrorCode::kLoginFailed);
  }
  std::string address = request.Origin().address;
  return Defer<LoginOutcome>(
      [&service, login, password = std::move(password), address = std::move(address)] {
        return service.Login(login, password, address);
      },
      [place = std::move(place), login, csrf = std::move(csrf),
       secure = CookiesSecure(request)](LoginOutcome& outcome) {
        if (outcome.session) {
          http::Response response = Redirect(303, place.target);
          response.headers.emplace_back("Set-Cookie",
                                        SetCookieValue(kSessionCookie, outcome.session->cookie_value, secure));
          return response;
        }
        if (!outcome.throttled) ProcessCounters::Count(Counters().login_failures);
        LoginPageView view = LoginView(place, csrf);
        view.login = login;
        view.error = outcome.throttled ? kLoginThrottled : kLoginFailed;
        http::Response response =
            LoginPage(view, outcome.throttled ? ErrorCode::kLoginThrottled : ErrorCode::kLoginFailed);
        if (outcome.throttled) {
          const auto seconds = std::max<std::int64_t>(1, outcome.retry_after.count());
          response.headers.emplace_back("Retry-After", std::to_string(seconds));
        }
        return response;
      },
      PageFailure);
}

// The authorize query, validated by the service; `refusal` is set when it cannot go on.
struct AuthorizeStep {
  std::optional<AuthorizeRequest> request;
  http::Response refusal;
};

AuthorizeStep ValidateAuthorizeQuery(OAuthService& service, std::string_view target, int redirect_status) {
  const QueryParameters query = QueryParameters::Parse(QueryOf(target));
  AuthorizeStep step;
  for (const std::string_view field : kAuthorizeFields) {
    if (!FieldIsAmbiguous(query, field)) continue;
    // Not redirected: with a repeated client_id or redirect_uri there is no trustworthy place to send it.
    step.refusal = ErrorPage(
        ErrorCode::kInvalidRequest, "Invalid request",
        "The parameter '" + std::string(field) + "' was sent more than once or is not valid percent-encoding.");
    return step;
  }
  AuthorizeParameters parameters{FieldValue(query, "response_type"),
                                 FieldValue(query, "client_id"),
                                 FieldValue(query, "redirect_uri"),
                                 FieldValue(query, "scope"),
                                 FieldValue(query, "state"),
                                 FieldValue(query, "code_challenge"),
                                 FieldValue(query, "code_challenge_method")};
  AuthorizeValidation validation = service.ValidateAuthorize(parameters);
  if (validation.request) {
    step.request = std::move(validation.request);
  } else if (validation.error_redirect) {
    step.refusal = Redirect(redirect_status, std::move(validation.error_redirect->location));
  } else {
    step.refusal = ErrorPage(ErrorCode::kInvalidRequest, "Cannot sign in",
                             validation.error_page ? validation.error_page->message
                                                   : std::string("The authorization request is not valid."));
  }
  return step;
}

LoginPlace AuthorizeLoginPlace(std::string_view target, const AuthorizeRequest& request) {
  return LoginPlace{std::string(target), request.project_name, true, FormTargets::kAnyRedirect};
}

LoginPlace GrantsLoginPlace() { return LoginPlace{std::string(kGrantsPath), {}, false, FormTargets::kSelfOnly}; }

}  // namespace

http::Response AuthorizeGet(OAuthService& service, const http::Request& request) {
  return Guarded(
      [&]() -> http::Response {
        AuthorizeStep step = ValidateAuthorizeQuery(service, request.Target(), 302);
        if (!step.request) return std::move(step.refusal);
        const CsrfCookie csrf = CsrfFor(request);
        const std::optional<LoginSession> session = CurrentSession(service, request);
        if (!session) {
          return WithCsrfCookie(LoginPage(LoginView(AuthorizeLoginPlace(request.Target(), *step.request), csrf.value)),
                                csrf);
        }
        if (service.HasGrant(session->user_id, *step.request)) {
          return Redirect(302, service.Approve(session->user_id, *step.request).location);
        }
        ConsentPageView view;
        view.form_action = request.Target();
        view.csrf = csrf.value;
        view.project_name = step.request->project_name;
        view.nickname = session->nickname;
        view.scopes = DescribeScopes(step.request->scopes);
        return WithCsrfCookie(ConsentPage(view), csrf);
      },
      PageFailure);
}

http::Response AuthorizePost(OAuthService& service, const http::Request& request) {
  return Guarded(
      [&]() -> http::Response {
        AuthorizeStep step = ValidateAuthorizeQuery(service, request.Target(), 303);
        if (!step.request) return std::move(step.refusal);
        PostedForm form = ReadCheckedForm(request);
        if (form.refusal) return std::move(*form.refusal);
        const std::string action = FieldValue(form.fields, "action");
        if (action == "login") {
          return DeferLogin(service, request, form.fields, AuthorizeLoginPlace(request.Target(), *step.request));
        }
        if (action == "cancel") return Redirect(303, service.Cancel(*step.request).location);
        if (action == "deny") return Redirect(303, service.Deny(*step.request).location);
        if (action == "allow") {
          const std::optional<LoginSession> session = CurrentSession(service, request);
          // Signed out in the meantime: the GET asks for the login again.
          if (!session) return Redirect(303, std::string(request.Target()));
          return Redirect(303, service.Approve(session->user_id, *step.request).location);
        }
        return ErrorPage(ErrorCode::kInvalidRequest, "Invalid request",
                         "The form's action is not one this page offers.");
      },
      PageFailure);
}

http::Response GrantsGet(OAuthService& service, const http::Request& request) {
  return Guarded(
      [&]() -> http::Response {
        const CsrfCookie csrf = CsrfFor(request);
        const std::optional<LoginSession> session = CurrentSession(service, request);
        if (!session) return WithCsrfCookie(LoginPage(LoginView(GrantsLoginPlace(), csrf.value)), csrf);
        GrantsPageView view;
        view.csrf = csrf.value;
        view.nickname = session->nickname;
        for (const GrantSummary& grant : service.ListGrants(session->user_id)) {
          view.grants.push_back(GrantLine{std::to_string(grant.project_id), grant.client_id, grant.project_name,
                                          FormatLocalDateTime(grant.granted_at), DescribeScopes(grant.scopes)});
        }
        return WithCsrfCookie(GrantsPage(view), csrf);
      },
      PageFailure);
}

http::Response GrantsPost(OAuthService& service, const http::Request& request) {
  return Guarded(
      [&]() -> http::Response {
        PostedForm form = ReadCheckedForm(request);
        if (form.refusal) return std::move(*form.refusal);
        const std::string action = FieldValue(form.fields, "action");
        if (action == "login") return DeferLogin(service, request, form.fields, GrantsLoginPlace());
        if (action != "revoke")
          return ErrorPage(ErrorCode::kInvalidRequest, "Invalid request",
                           "The form's action is not one this page offers.");
        const std::optional<LoginSession> session = CurrentSession(service, request);
        if (!session) return Redirect(303, std::string(kGrantsPath));
        const std::string project = FieldValue(form.fields, "project_id");
        ProjectId project_id = 0;
        const auto [end, failure] = std::from_chars(project.data(), project.data() + project.size(), project_id);
        if (failure != std::errc{} || end != project.data() + project.size() || project_id <= 0) {
          return ErrorPage(ErrorCode::kInvalidRequest, "Invalid request",
                           "The project to revoke is not named correctly.");
        }
        service.RevokeGrant(session->user_id, project_id);
        return Redirect(303, std::string(kGrantsPath));
      },
      PageFailure);
}

http::Response LogoutPost(OAuthService& service, const http::Request& request) {
  return Guarded(
      [&]() -> http::Response {
        PostedForm form = ReadCheckedForm(request);
        if (form.refusal) return std::move(*form.refusal);
        const std::optional<std::string_view> cookie = FindCookie(request.Header("Cookie"), kSessionCookie);
        if (cookie && !cookie->empty()) service.EndSession(*cookie);
        http::Response response = Redirect(303, std::string(kGrantsPath));
        response.headers.emplace_back("Set-Cookie", ClearCookieValue(kSessionCookie, CookiesSecure(request)));
        return response;
      },
      PageFailure);
}

}  // namespace phonechat
